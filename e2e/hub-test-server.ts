// A stand-in for the Hugging Face hub (unreachable here), for `vlm-guard fetch`,
// `models:pin` and hub loading in the page: the model API's revision and tree listings
// (an LFS sha256 for large files, none for small git files, as the hub gives them),
// `<repo>/resolve/<revision>/<path>` downloads with HTTP Range, and CORS as the hub sends it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CATALOG, type HubModel } from '../src/runtime/catalog.ts';

/** "repo@branch-or-commit" → path → bytes. */
export type HubRepos = Map<string, Map<string, Buffer>>;

/** The commit a served branch stands at (made up, stable); a commit names itself. */
export const commitOf = (repo: string, revision: string) => (/^[0-9a-f]{40}$/.test(revision) ? revision : createHash('sha1').update(`${repo}@${revision}`).digest('hex'));

/** Large files are LFS on the hub (their listing carries a sha256); small ones are plain git. */
const isLfs = (path: string) => path.endsWith('.onnx') || path === 'tokenizer.json';

/** A repository's files from a local folder: `paths` maps each served path to the folder's file (absent ones are skipped). */
export function repoFromFolder(folder: string, paths: Record<string, string>): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const [served, local] of Object.entries(paths)) if (existsSync(join(folder, local))) files.set(served, readFileSync(join(folder, local)));
  return files;
}

/**
 * A generated model folder served as a catalog model's repository at the catalog's revision:
 * `local` names the folder's file for each catalog path (e.g. the one ONNX under a dtype's
 * name). Returns the catalog model with the files that were served.
 */
export function serveAsCatalogModel(repos: HubRepos, catalogId: string, folder: string, local: (path: string) => string = (path) => path): HubModel {
  const model = CATALOG.find((m) => m.id === catalogId) as HubModel;
  const files = repoFromFolder(folder, Object.fromEntries(model.files.map((path) => [path, local(path)])));
  repos.set(`${model.repo}@${model.revision}`, files);
  return { ...model, files: [...files.keys()] };
}

export interface HubTestServer {
  host: string;
  repos: HubRepos;
  /** Download paths asked for, and the Range offsets ("path@offset"). */
  served: string[];
  ranges: string[];
  /** Other bytes for a download (a damaged or replaced file); undefined serves the real ones. */
  tamper: ((path: string, bytes: Buffer) => Buffer | undefined) | null;
  /** Extra files at the root (e.g. a pinned manifest), served with CORS. */
  extra: Map<string, Buffer>;
  /** While true, downloads fail as an unreachable host does (the connection drops); counted in `refused`. */
  offline: boolean;
  refused: number;
  close(): Promise<void>;
}

export async function startHubServer(repos: HubRepos = new Map()): Promise<HubTestServer> {
  const state: Omit<HubTestServer, 'host' | 'close'> = { repos, served: [], ranges: [], tamper: null, extra: new Map(), offline: false, refused: 0 };
  const servedAt = (repo: string, revision: string) =>
    repos.get(`${repo}@${revision}`) ?? [...repos].find(([key]) => key.startsWith(`${repo}@`) && commitOf(repo, key.slice(repo.length + 1)) === revision)?.[1];
  const json = (res: import('node:http').ServerResponse, body: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server: Server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-length, content-range, etag');
    if (req.method === 'OPTIONS') return void res.writeHead(204, { 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, HEAD' }).end();
    const url = new URL(req.url ?? '/', 'http://x');
    const extra = state.extra.get(url.pathname);
    if (extra) return void res.writeHead(200, { 'content-type': 'application/json' }).end(extra);
    if (state.offline && url.pathname.startsWith('/api/')) {
      state.refused++;
      return void req.socket.destroy();
    }
    const revision = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (revision) {
      const [, repo, rev] = revision as unknown as [string, string, string];
      if (!servedAt(repo, decodeURIComponent(rev))) return void res.writeHead(404).end();
      return json(res, { id: repo, sha: commitOf(repo, decodeURIComponent(rev)) });
    }
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
    const listed = tree ? servedAt(tree[1]!, tree[2]!) : undefined;
    if (tree && listed) {
      const folder = tree[3] ?? '';
      const entries = new Map<string, object>();
      for (const [path, bytes] of listed) {
        if (folder && !path.startsWith(`${folder}/`)) continue;
        const rest = folder ? path.slice(folder.length + 1) : path;
        if (rest.includes('/')) {
          const dir = (folder ? `${folder}/` : '') + rest.split('/')[0];
          entries.set(dir, { type: 'directory', path: dir, size: 0 });
        } else {
          const lfs = isLfs(path) ? { lfs: { oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.length } } : {};
          entries.set(path, { type: 'file', path, size: bytes.length, ...lfs });
        }
      }
      return json(res, [...entries.values()]);
    }
    const resolved = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const path = resolved?.[3] ?? '';
    const bytes = resolved ? servedAt(resolved[1]!, resolved[2]!)?.get(path) : undefined;
    if (!bytes) return void res.writeHead(404).end();
    if (state.offline) {
      state.refused++;
      return void req.socket.destroy();
    }
    state.served.push(url.pathname);
    const body = state.tamper?.(path, bytes) ?? bytes;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      state.ranges.push(`${path}@${range[1]}`);
      res.writeHead(206, { 'content-range': `bytes ${range[1]}-${body.length - 1}/${body.length}` });
      return void res.end(body.subarray(Number(range[1])));
    }
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
}
