import { describe, expect, it } from 'vitest';
import { calibrationSets, splitDevB, withForeignQuestions, type SquadJson } from '../../src/eval/sets.js';

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
});
