/** One scenario per CDS service whose answer is a card, so a call runs the whole pipeline (bench, replicas). */
export const WORKLOADS: Readonly<Record<string, string>> = {
  'back-pain-imaging-select': 'imaging-defer-acute-41-days',
  'back-pain-imaging-sign': 'imaging-defer-acute-41-days',
  'back-pain-stratified-care': 'sciatica-fast-track-medium-4-items-42-days',
  'chronic-pain-therapy-referral': 'chronic-pain-phq9-10-referral',
};
