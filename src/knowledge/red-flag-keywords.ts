/**
 * Per-red-flag keyword lists: the words by which a record names a red flag when its code says
 * nothing the value sets know. `backpain-cds terminology gaps` uses them to find codes the value
 * sets miss.
 *
 * Today the lists are built in (below). Issue 12 moves the service's own per-red-flag keyword lists
 * into rules/findings.json as data; when that lands, this function returns those lists (and the
 * built-in ones stay only for a red flag findings.json gives no keywords), so the gap report and
 * the service's text safety net read the same words.
 */
import type { KnowledgeBase } from './load.js';

export interface RedFlagKeywords {
  /** The red flag id, as in rules/findings.json (`cauda-equina` for cauda equina signs). */
  id: string;
  label: string;
  /**
   * Word starts, lower case: "metasta" matches "Metastatic" but not "nonmetastatic". A keyword of
   * 3 characters or fewer is a whole word ("hiv" is not "hives").
   */
  keywords: readonly string[];
  /** Word starts that make a match not this patient's red flag ("family history", "benign", "inhal"). */
  excludes: readonly string[];
}

const NOT_THE_PATIENTS = ['family history', 'fh:', 'history of exposure', 'screening for', 'no evidence of', 'ruled out'];

/** Topical and local forms never count as systemic steroid use (design.md, Real-world records). */
const LOCAL_FORMS = [
  'inhal',
  'topical',
  'cream',
  'ointment',
  'lotion',
  'gel',
  'nasal',
  'ophthalmic',
  'otic',
  'eye drop',
  'ear drop',
  'rectal',
  'enema',
  'foam',
  'spray',
  'dry powder',
  'actuat',
  'dental',
  'paste',
  'shampoo',
];

const BUILT_IN: readonly RedFlagKeywords[] = [
  {
    id: 'cancer',
    label: 'Cancer or a history of cancer',
    keywords: [
      'cancer',
      'carcinoma',
      'adenocarcinoma',
      'malignan',
      'metasta',
      'lymphoma',
      'leukaemia',
      'leukemia',
      'myeloma',
      'sarcoma',
      'melanoma',
      'mesothelioma',
      'glioblastoma',
      'neoplasm malignant',
    ],
    excludes: [...NOT_THE_PATIENTS, 'benign', 'non-malignant', 'nonmalignant', 'fear of', 'risk of'],
  },
  {
    id: 'hiv',
    label: 'HIV',
    keywords: ['hiv', 'human immunodeficiency virus', 'acquired immunodeficiency syndrome'],
    excludes: [...NOT_THE_PATIENTS, 'hiv negative', 'hiv test', 'hiv screen'],
  },
  {
    id: 'transplant',
    label: 'Organ transplant',
    keywords: ['transplant', 'allograft recipient'],
    excludes: [...NOT_THE_PATIENTS, 'awaiting', 'donor', 'hair transplant'],
  },
  { id: 'osteoporosis', label: 'Osteoporosis', keywords: ['osteoporo', 'fragility fracture'], excludes: NOT_THE_PATIENTS },
  {
    id: 'immunosuppression',
    label: 'Immunosuppression',
    keywords: ['immunosuppress', 'immunocompromis', 'immunodeficien'],
    excludes: NOT_THE_PATIENTS,
  },
  {
    id: 'long-term-steroids',
    label: 'Long-term systemic steroids',
    keywords: [
      'hydrocortisone',
      'cortisone',
      'prednisone',
      'prednisolone',
      'methylprednisolone',
      'triamcinolone',
      'dexamethasone',
      'betamethasone',
      'corticosteroid',
      'glucocorticoid',
      'systemic steroid',
    ],
    excludes: [...NOT_THE_PATIENTS, ...LOCAL_FORMS],
  },
  {
    id: 'intravenous-drug-use',
    label: 'Intravenous drug use',
    keywords: [
      'intravenous drug',
      'injecting drug',
      'injection drug',
      'iv drug',
      'heroin',
      'opioid dependence',
      'opioid use disorder',
      'opioid abuse',
      'cocaine',
      'methamphetamine',
      'amphetamine',
    ],
    excludes: NOT_THE_PATIENTS,
  },
  {
    id: 'neurological-impairment',
    label: 'Neurological impairment',
    keywords: [
      'foot drop',
      'drop foot',
      'footdrop',
      'paraparesis',
      'paraplegia',
      'neurogenic bowel',
      'neurogenic bladder',
      'motor deficit',
      'myelopathy',
      'nerve root compression',
      'compression of lumbar nerve',
      'compression of sacral nerve',
    ],
    excludes: NOT_THE_PATIENTS,
  },
  {
    id: 'spinal-infection',
    label: 'Spinal infection',
    keywords: [
      'discitis',
      'diskitis',
      'spondylodiscitis',
      'vertebral osteomyelitis',
      'osteomyelitis of vertebra',
      'osteomyelitis of spine',
      'epidural abscess',
      'spinal abscess',
      'intraspinal abscess',
      'spinal tuberculosis',
      'tuberculosis of spine',
      "pott's disease",
      'potts disease',
    ],
    excludes: NOT_THE_PATIENTS,
  },
  {
    id: 'trauma',
    label: 'Trauma or vertebral fracture',
    keywords: [
      'vertebral fracture',
      'fracture of vertebra',
      'fracture of lumbar',
      'fracture of thoracic vertebra',
      'fracture of spine',
      'spinal fracture',
      'compression fracture',
      'wedge fracture',
      'burst fracture',
      'collapsed vertebra',
    ],
    excludes: NOT_THE_PATIENTS,
  },
  {
    id: 'weight-loss',
    label: 'Unexplained weight loss',
    keywords: ['weight loss', 'loss of weight', 'losing weight', 'cachexia'],
    excludes: [
      ...NOT_THE_PATIENTS,
      'intentional weight loss',
      'weight loss programme',
      'weight loss program',
      'weight loss advice',
      'weight loss surgery',
    ],
  },
  {
    id: 'fever',
    label: 'Fever',
    keywords: ['fever', 'pyrexia', 'febrile', 'high temperature'],
    excludes: [...NOT_THE_PATIENTS, 'no fever', 'yellow fever vaccin'],
  },
  {
    id: 'prior-lumbar-surgery',
    label: 'Prior lumbar spine surgery',
    keywords: [
      'laminectomy',
      'postlaminectomy',
      'arthrodesis status',
      'laminotomy',
      'discectomy',
      'diskectomy',
      'microdiscectomy',
      'spinal fusion',
      'lumbar fusion',
      'fusion of spine',
      'spinal decompression',
      'lumbar decompression',
      'failed back surgery',
    ],
    excludes: NOT_THE_PATIENTS,
  },
  {
    id: 'cauda-equina',
    label: 'Cauda equina sign',
    keywords: [
      'cauda equina',
      'saddle anaesthesia',
      'saddle anesthesia',
      'saddle numbness',
      'numbness of saddle',
      'urinary retention',
      'retention of urine',
      'faecal incontinence',
      'fecal incontinence',
      'incontinence of faeces',
      'incontinence of feces',
      'bowel incontinence',
    ],
    excludes: NOT_THE_PATIENTS,
  },
];

/**
 * The keyword list of every red flag (and cauda equina signs), labelled as the loaded rules label
 * them where they name the same id.
 */
export function redFlagKeywords(knowledge: Pick<KnowledgeBase, 'findings'>): RedFlagKeywords[] {
  const labels = new Map<string, string>([
    ...knowledge.findings.redFlags.map((f) => [f.id, f.label] as const),
    [knowledge.findings.caudaEquina.id, knowledge.findings.caudaEquina.label],
  ]);
  return BUILT_IN.map((list) => ({ ...list, label: labels.get(list.id) ?? list.label }));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A word start: "metasta" is found in "Metastatic carcinoma", not in "nonmetastatic"; "febrile" not in "afebrile". */
function wordStarts(words: readonly string[]): RegExp | undefined {
  const alternatives = words.map((w) => escape(w) + (w.length <= 3 ? '(?![a-z0-9])' : ''));
  return words.length ? new RegExp(`(?:^|[^a-z0-9])(?:${alternatives.join('|')})`, 'i') : undefined;
}

export interface KeywordMatcher {
  /** The red flags whose keywords the text names, leaving out those whose excludes it names too. */
  redFlags(text: string): string[];
}

export function keywordMatcher(lists: readonly RedFlagKeywords[]): KeywordMatcher {
  const compiled = lists.map((l) => ({ id: l.id, include: wordStarts(l.keywords), exclude: wordStarts(l.excludes) }));
  return {
    redFlags(text) {
      if (!text) return [];
      return compiled.filter((c) => c.include?.test(text) && !c.exclude?.test(text)).map((c) => c.id);
    },
  };
}
