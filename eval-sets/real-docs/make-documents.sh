#!/bin/sh
# Rebuilds documents/ from the Debian packages' documentation under /usr/share/doc (Debian 12 "bookworm").
# Needs: gzip, pandoc, enscript, ghostscript (ps2pdf):
#   apt-get install --no-install-recommends pandoc enscript ghostscript
# The PDFs and DOCX files embed creation dates, so a rebuild is not byte-identical, but the text is the same.
# Origins and licences: NOTICE.md.
set -eu
D=/usr/share/doc
OUT=$(dirname "$0")/documents
mkdir -p "$OUT"

# PDF 1: the man-db manual as Debian ships it, typeset by groff to PostScript; only converted to PDF.
zcat "$D/man-db/man-db-manual.ps.gz" | ps2pdf - "$OUT/man-db-manual.pdf"

# PDF 2: the zlib FAQ (plain text) printed in Courier with a running header and page numbers.
zcat "$D/zlib1g-dev/FAQ.gz" |
  enscript -q --header='Frequently Asked Questions about zlib||Page $% of $=' -f Courier10 -o - |
  ps2pdf - "$OUT/zlib-faq.pdf"

# DOCX 1: base-passwd's "Users and Groups in the Debian System" (DocBook HTML) through pandoc.
pandoc -f html -t docx -o "$OUT/users-and-groups.docx" "$D/base-passwd/users-and-groups.html"

# DOCX 2: the XZ Utils FAQ; answers are indented by four spaces, which Markdown would read as code, so they are
# dedented once (commands indented deeper stay code blocks).
zcat "$D/xz-utils/faq.txt.gz" | sed 's/^    //' |
  pandoc -f markdown-raw_html-smart -t docx -o "$OUT/xz-utils-faq.docx"

# DOCX 3: dpkg's "Supporting rootless builds" specification (setext-headed plain text, read as Markdown).
pandoc -f markdown-raw_html-smart -t docx -o "$OUT/dpkg-rootless-builds.docx" "$D/dpkg/spec/rootless-builds.txt"

# Text and Markdown, unchanged.
zcat "$D/valgrind/FAQ.txt.gz" > "$OUT/valgrind-faq.txt"
zcat "$D/adduser/README.gz" > "$OUT/adduser-readme.txt"
zcat "$D/zstd/README.md.gz" > "$OUT/zstd-readme.md"

ls -l "$OUT"
