// The Hugging Face hub's model API, as the CLI (Node) and the page (hub loading) both use it:
// which commit a revision names now, and the repository's files with their sizes and the LFS
// sha256 the hub lists for large files. Any host with the hub's layout (a mirror) works.

export interface RemoteFile {
  path: string;
  size: number;
  /** LFS files carry their sha256; small git files do not (verified by size only). */
  sha256?: string;
}

interface TreeEntry {
  type: string;
  path: string;
  size: number;
  lfs?: { oid: string; size: number };
}

/** The host could not be reached at all (no answer): DNS, refused, reset, TLS — `reason` says which. */
export class HostUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`${url}: ${reason}`);
  }
}

/** Node's fetch says only "fetch failed"; the cause (its code: ENOTFOUND, ECONNREFUSED, …) is what a user can act on. */
function reasonOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !detail.includes(code) ? `${code} (${detail})` : detail;
}

/** One request to the host; not reaching it is a HostUnreachable naming the URL and the cause. */
export async function request(fetchImpl: typeof fetch, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetchImpl(url, init);
  } catch (error) {
    throw new HostUnreachable(url, reasonOf(error));
  }
}

/** A commit: 40 hex digits. A branch or tag name moves; a commit does not. */
export const isCommit = (revision: string) => /^[0-9a-f]{40}$/.test(revision);

/** The commit a revision (branch, tag or commit) names now, from the hub's model API. */
export async function resolveCommit(host: string, repo: string, revision: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const url = `${host}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  const response = await request(fetchImpl, url);
  if (!response.ok) throw new Error(`resolving ${repo}@${revision}: ${url}: HTTP ${response.status}`);
  const sha = ((await response.json()) as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !isCommit(sha)) throw new Error(`resolving ${repo}@${revision}: ${url} gave no commit sha`);
  if (isCommit(revision) && sha !== revision) throw new Error(`${repo}@${revision}: the hub answers for commit ${sha}`);
  return sha;
}

export async function listRepository(host: string, repo: string, revision: string, fetchImpl: typeof fetch = fetch): Promise<Map<string, RemoteFile>> {
  const files = new Map<string, RemoteFile>();
  const folders = [''];
  while (folders.length > 0) {
    const folder = folders.shift()!;
    const url = `${host}/api/models/${repo}/tree/${revision}${folder ? `/${folder}` : ''}`;
    const response = await request(fetchImpl, url);
    if (!response.ok) throw new Error(`listing ${url}: HTTP ${response.status}`);
    for (const entry of (await response.json()) as TreeEntry[]) {
      if (entry.type === 'directory') folders.push(entry.path);
      else files.set(entry.path, { path: entry.path, size: entry.lfs?.size ?? entry.size, ...(entry.lfs ? { sha256: entry.lfs.oid } : {}) });
    }
  }
  return files;
}

