/**
 * graph.reachable(graph, initial) and graph.reachable_paths(graph, initial): graph is an object of
 * node -> array/set of neighbours; nodes absent from the graph are not reached.
 */
import { RSet, objGet, type Value } from '../value/index.js';
import { type BuiltinDef } from './registry.js';
import { obj, members, operandTypeError } from './operands.js';

type Graph = Parameters<typeof objGet>[0];

function vertices(v: Value | undefined): readonly Value[] {
  return (v !== undefined ? members(v) : undefined) ?? [];
}

function initialNodes(v: Value): readonly Value[] {
  const m = members(v);
  if (m === undefined) throw operandTypeError(2, v, '{array, set}');
  return m;
}

function reachable(args: Value[]): Value {
  const graph = obj(args[0]!, 1);
  const queue: Value[] = [...initialNodes(args[1]!)];
  const reached = new RSet();
  for (let qi = 0; qi < queue.length; qi++) {
    const node = queue[qi]!;
    const edges = objGet(graph, node);
    if (edges === undefined || reached.has(node)) continue;
    for (const n of vertices(edges)) if (!reached.has(n)) queue.push(n);
    reached.add(node);
  }
  return reached;
}

function pathBuilder(graph: Graph, root: Value, path: Value[], out: RSet, reached: RSet): void {
  const edges = objGet(graph, root);
  if (edges === undefined) {
    out.add(path);
    return;
  }
  const p = [...path, root];
  const es = vertices(edges);
  if (es.length === 0) {
    out.add(p);
    return;
  }
  // the visited set is shared by the whole walk below one start edge (as OPA's case data has it)
  reached.add(root);
  for (const n of es) {
    if (reached.has(n)) out.add(p);
    else pathBuilder(graph, n, p, out, reached);
  }
}

function reachablePaths(args: Value[]): Value {
  const graph = obj(args[0]!, 1);
  const out = new RSet();
  for (const node of initialNodes(args[1]!)) {
    const edges = objGet(graph, node);
    if (edges === undefined) continue;
    const es = vertices(edges);
    if (es.length === 0) out.add([node]);
    else for (const n of es) pathBuilder(graph, n, [node], out, RSet.of(node));
  }
  return out;
}

export const builtins: BuiltinDef[] = [
  { name: 'graph.reachable', arity: 2, fn: reachable },
  { name: 'graph.reachable_paths', arity: 2, fn: reachablePaths },
];
