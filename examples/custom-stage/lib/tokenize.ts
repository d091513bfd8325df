/** Lower-case words of a text (letters and apostrophes). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z']+/g) ?? [];
}
