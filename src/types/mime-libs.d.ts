// Just the functions we call of libqp and libmime, which ship no type declarations.
declare module 'libqp' {
  const libqp: { decode(s: string): Buffer; encode(b: Buffer | string): string; wrap(s: string, lineLength?: number): string };
  export default libqp;
}
declare module 'libmime' {
  const libmime: {
    decodeWords(s: string): string;
    decodeHeaders(block: string): Record<string, string[]>;
    parseHeaderValue(s: string): { value: string; params: Record<string, string> };
  };
  export default libmime;
}
