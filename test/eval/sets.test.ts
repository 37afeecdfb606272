import { describe, expect, it } from 'vitest';
import { calibrationSets, nameRuns, splitDevB, SWAPPED_PREFIX, withForeignQuestions, withSwappedNames, type SquadJson } from '../../src/eval/sets.js';

function squad(titles: string[], questionsEach = 2): SquadJson {
  return {
    version: '1.1',
    data: titles.map((title) => ({
      title,
      paragraphs: [
        {
          context: `About ${title}.`,
          qas: Array.from({ length: questionsEach }, (_, i) => ({ id: `${title}-${i}`, question: `Q${i} on ${title}?`, answers: [{ text: title, answer_start: 6 }] })),
        },
      ],
    })),
  };
}

const DEV_B_TITLES = ['Southern_California', 'Doctor_Who', 'Normans', 'Victoria_and_Albert_Museum', 'American_Broadcasting_Company', 'Kenya', 'Chloroplast', 'Steam_engine', 'Rhine', 'Economic_inequality', 'Scottish_Parliament', 'Pharmacy', 'Nikola_Tesla', 'Fresno,_California', 'Sky_(United_Kingdom)', 'Martin_Luther', 'Huguenot', 'Ctenophora', 'Intergovernmental_Panel_on_Climate_Change', 'United_Methodist_Church', 'Computational_complexity_theory', 'Yuan_dynasty', 'Private_school', 'Amazon_rainforest'];

describe('the calibration / report split of dev-b', () => {
  it('puts 9 articles in the calibration half, none of the demo corpus or SQuAD 2.0 sample, by a fixed rule', () => {
    const { calibration, report } = splitDevB(squad(DEV_B_TITLES));
    expect(calibration).toHaveLength(9);
    expect(report).toHaveLength(15);
    for (const t of ['Nikola_Tesla', 'Rhine', 'Amazon_rainforest', 'Steam_engine', 'Huguenot', 'Normans', 'Computational_complexity_theory']) {
      expect(report).toContain(t);
    }
    expect(new Set([...calibration, ...report]).size).toBe(24);
    // the order of the file does not matter: the rule sorts by sha256 of the title
    expect(splitDevB(squad([...DEV_B_TITLES].reverse())).calibration).toEqual(calibration);
    expect(calibration).toEqual(['Private_school', 'Fresno,_California', 'Sky_(United_Kingdom)', 'Ctenophora', 'Scottish_Parliament', 'American_Broadcasting_Company', 'Economic_inequality', 'Kenya', 'Victoria_and_Albert_Museum']);
  });

  it('adds as many foreign (unanswerable) questions as the articles have, never from their own articles', () => {
    const own = squad(['A', 'B'], 3).data;
    const foreignFrom = squad(['A', 'C', 'D', 'E'], 3);
    const set = withForeignQuestions(own, foreignFrom, 5);
    const qas = set.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas));
    const foreign = qas.filter((q) => q.is_impossible);
    expect(set.version).toBe('v2.0');
    expect(qas).toHaveLength(12);
    expect(foreign).toHaveLength(6);
    expect(foreign.every((q) => q.id.startsWith('foreign-') && q.answers.length === 0 && !q.question.includes(' A?'))).toBe(true);
    expect(withForeignQuestions(own, foreignFrom, 5)).toEqual(set); // seeded
    expect(own[0]!.paragraphs[0]!.qas).toHaveLength(3); // input untouched
  });

  it('builds both sets: calibration foreign questions from the train subset, report ones from dev-a', () => {
    const sets = calibrationSets(squad(['DA1', 'DA2'], 40), squad(DEV_B_TITLES), squad(['T1', 'T2'], 40));
    const ids = (s: SquadJson) => s.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => q.id)));
    expect(ids(sets.calibration).filter((i) => i.startsWith('foreign-T'))).toHaveLength(18);
    expect(ids(sets.report).filter((i) => i.startsWith('foreign-DA'))).toHaveLength(30);
    expect(sets.rule.calibrationArticles).toHaveLength(9);
  });

  it('finds the names of a text: capitalised runs with connectors inside, not the first word of a sentence', () => {
    expect(nameRuns('The V&A is in London. Its Victoria and Albert Museum, by the Bay of Bengal, opened').map((r) => r.text)).toEqual([
      'V&A',
      'London',
      'Victoria and Albert Museum',
      'Bay of Bengal',
    ]);
  });

  it('adds swapped-name questions: a name of the paragraph replaced by one the corpus lacks, answers never swapped', () => {
    const set: SquadJson = {
      data: [
        {
          title: 'Kenya',
          paragraphs: [
            {
              context: 'Nairobi is the capital of Kenya. The Rift Valley crosses it.',
              qas: [
                { id: 'k1', question: 'What is the capital of Kenya?', answers: [{ text: 'Nairobi', answer_start: 0 }] },
                { id: 'k2', question: 'Which valley crosses Kenya?', answers: [{ text: 'Kenya', answer_start: 26 }] }, // its only name is an answer
                { id: 'k3', question: 'what crosses it?', answers: [{ text: 'The Rift Valley', answer_start: 33 }] }, // no name
                { id: 'foreign-x', question: 'Who founded Tonga?', answers: [], is_impossible: true },
              ],
            },
          ],
        },
      ],
    };
    const from: SquadJson = {
      data: [
        { title: 'Kenya', paragraphs: [{ context: 'A land of Lake Turkana.', qas: [] }] }, // the set's own article: never a source
        { title: 'Tonga', paragraphs: [{ context: 'The king of Tonga lives in Nukualofa, near Kenya Road.', qas: [] }] },
      ],
    };
    const out = withSwappedNames(set, from, 3);
    const qas = out.data[0]!.paragraphs[0]!.qas;
    const swapped = qas.filter((q) => q.id.startsWith(SWAPPED_PREFIX));
    expect(swapped).toHaveLength(1);
    expect(swapped[0]!.id).toBe(`${SWAPPED_PREFIX}k1`);
    expect(['What is the capital of Tonga?', 'What is the capital of Nukualofa?']).toContain(swapped[0]!.question);
    expect(swapped[0]).toMatchObject({ answers: [], is_impossible: true });
    expect(qas.slice(0, 4)).toEqual(set.data[0]!.paragraphs[0]!.qas); // the set's own questions unchanged
    expect(set.data[0]!.paragraphs[0]!.qas).toHaveLength(4); // input untouched
    expect(withSwappedNames(set, from, 3)).toEqual(out); // seeded
  });

  it('puts swapped-name questions in the calibration set only', () => {
    const answeredByAbout = (s: SquadJson): SquadJson => ({
      data: s.data.map((a) => ({ ...a, paragraphs: a.paragraphs.map((p) => ({ ...p, qas: p.qas.map((q) => ({ ...q, answers: [{ text: 'About', answer_start: 0 }] })) })) })),
    });
    const sets = calibrationSets(squad(['DA1', 'DA2'], 40), answeredByAbout(squad(DEV_B_TITLES)), squad(['T1', 'T2'], 40));
    const qas = (s: SquadJson) => s.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas));
    expect(qas(sets.report).some((q) => q.id.startsWith(SWAPPED_PREFIX))).toBe(false);
    // "Q0 on Kenya?" -> "Q0 on T1?" or "Q0 on T2?": names of the train subset's articles, absent from the corpus
    // (of "Victoria_and_Albert_Museum" one word: "_" is not a connector)
    const swapped = qas(sets.calibration).filter((q) => q.id.startsWith(SWAPPED_PREFIX));
    expect(swapped).toHaveLength(18);
    for (const q of swapped) expect(q.question).toMatch(/^Q[01] on \S*T[12]\S*\?$/u);
  });
});
