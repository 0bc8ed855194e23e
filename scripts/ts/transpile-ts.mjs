// Compiles one TypeScript file to an ES module for plain `node` child processes in tests (Node 20 cannot run .ts).
// TypeScript's own transpiler keeps decorator metadata, which Nest's DI needs, with no native dependency.
import ts from 'typescript';

/** @param {string} code @param {string} fileName @returns {string} */
export function transpileTs(code, fileName) {
  return ts.transpileModule(code, {
    fileName,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
}
