/** Boot-time error messages, in one place so they stay consistent and name what is wrong and where. */
export const MocraMessages = {
  duplicateModule: (name: string, a: string, b: string) =>
    `crawler module "${name}": declared twice (classes ${a} and ${b}); module names must be unique`,
  nodeNotProvided: (module: string, cls: string) =>
    `module "${module}": node class ${cls} is listed in "nodes" but is not a provider of any Nest module (add it to "providers")`,
  nodeNotDecorated: (module: string, cls: string) =>
    `module "${module}": node class ${cls} has no @Node(key) decorator`,
  nodeWithoutMethods: (module: string, key: string, missing: string) =>
    `module "${module}" node "${key}": missing method ${missing}()`,
  duplicateNodeKey: (module: string, key: string, a: string, b: string) =>
    `module "${module}": node key "${key}" is used by both ${a} and ${b}; node keys must be unique within a module`,
  unknownEdgeTarget: (module: string, from: string, to: string, known: string[]) =>
    `module "${module}" node "${from}": @Next("${to}") names no node of this module (nodes: ${known.join(', ')})`,
  noEntryNode: (module: string) =>
    `module "${module}": the DAG has no entry node (every node has an incoming edge); mark one with @Node(key, { entry: true })`,
  noNodes: (module: string) => `module "${module}": "nodes" is empty`,
  unknownMiddleware: (module: string, kind: string, name: string, known: string[]) =>
    `module "${module}": ${kind} middleware "${name}" is not registered (registered: ${known.length ? known.join(', ') : 'none'})`,
  duplicateMiddleware: (kind: string, name: string) =>
    `${kind} middleware "${name}" is registered twice; middleware names must be unique per kind`,
  undeclaredEdge: (module: string, from: string, to: string, declared: string[]) =>
    `module "${module}" node "${from}": withNext("${to}") is not a declared edge (declared: ${declared.length ? declared.join(', ') : 'none'})`,
  unknownModuleInEvent: (name: string, known: string[]) =>
    `task event names unknown module "${name}" (modules: ${known.join(', ')})`,
  invalidCron: (module: string, expr: string, reason: string) =>
    `module "${module}": invalid cron expression "${expr}": ${reason}`,
} as const;
