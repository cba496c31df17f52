import Module from 'module';
import * as ts from 'typescript';

type ModuleWithInternals = typeof Module & {
  _extensions: Record<string, (module: NodeJS.Module, filename: string) => void>;
  _load: (request: string, parent: NodeJS.Module | undefined, isMain: boolean) => unknown;
};

const M = Module as ModuleWithInternals;
let registered = false;
const provided = new Map<string, unknown>();

/**
 * Lets `require()` load DAG files written in TypeScript (transpiled on the fly, no type
 * check: `npm run typecheck` is where types are checked), and makes `@tributary/*`
 * imports inside them resolve to the very modules the orchestrator runs, so a DAG file
 * needs no build step and no installed copy of the SDK.
 */
export function registerTypeScriptLoader(modules: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(modules)) provided.set(name, value);
  if (registered) return;
  registered = true;

  const originalLoad = M._load;
  M._load = function load(request, parent, isMain) {
    if (provided.has(request)) return provided.get(request);
    return originalLoad.call(this, request, parent, isMain);
  };

  if (!M._extensions['.ts']) {
    M._extensions['.ts'] = (module, filename) => {
      const source = ts.sys.readFile(filename) ?? '';
      const output = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          inlineSourceMap: true,
          experimentalDecorators: true,
        },
      });
      (module as unknown as { _compile(code: string, file: string): void })._compile(
        output.outputText,
        filename,
      );
    };
  }
}
