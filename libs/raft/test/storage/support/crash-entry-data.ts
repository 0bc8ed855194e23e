/** What the crash child writes into entry `index` of `term`: lets the test recognise every entry it finds. */
export function crashEntryData(index: number, term: number): Uint8Array {
  return new TextEncoder().encode(`${index}@${term}:${'x'.repeat(index % 50)}`);
}
