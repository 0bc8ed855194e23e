export declare function transpileTs(code: string, fileName: string): string;
