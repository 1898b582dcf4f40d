// An OpenAI-compatible test server (loopback only) that streams deterministic
// completions from scripted-model.ts. It speaks /v1/chat/completions (SSE or JSON,
// `n`, `stop` with vLLM's stop_reason/include_stop_str_in_output, `max_tokens`,
// `continue_final_message` + `add_generation_prompt: false`) and /v1/completions
// (a ChatML-rendered prompt); a system message saying `Begin your answer with "…"` is
// obeyed as an instruction-following model would. POST /__control { script: ['500', '429', 'stall',
// 'malformed', 'drop', 'ok'] } makes the next requests fail in those ways;
// GET /__requests returns the bodies received (API keys are not recorded).
import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { complete, tokenize } from './scripted-model.ts';

type Fault = '500' | '429' | 'stall' | 'malformed' | 'drop' | 'ok';

interface ChatMessage {
  role: string;
  content: string | { type: string; text?: string; image_url?: { url: string } }[];
}

interface Body {
  model?: string;
  messages?: ChatMessage[];
  /** A string, or llama.cpp's object form with media. */
  prompt?: string | { prompt_string: string; multimodal_data?: string[] };
  stream?: boolean;
  n?: number;
  temperature?: number;
  top_k?: number;
  max_tokens?: number;
  seed?: number;
  stop?: string | string[];
  include_stop_str_in_output?: boolean;
  continue_final_message?: boolean;
  add_generation_prompt?: boolean;
  stream_options?: { include_usage?: boolean };
}

export interface RecordedRequest {
  path: string;
  body: Body;
  authorized: boolean;
  /** sha256 of the bearer token, if any (never the token). */
  keySha256: string | null;
  hadImage: boolean;
  /** A streamed answer the client stopped reading before its end (the server generated no more). */
  closedEarly?: boolean;
}

const textOf = (content: ChatMessage['content']) =>
  typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('');

/** A system instruction to begin the answer with given words (an instruction-following model obeys it). */
const BEGIN_WITH = /Begin your answer with "([^"]+)"/;

/**
 * The prompt and the assistant prefix to continue, from either endpoint's body; `opening`:
 * words a system message asks the answer to begin with (the model says them, then continues).
 */
function conversation(path: string, body: Body): { prompt: string; prefix: string; opening?: string } | string {
  if (path === '/v1/completions') {
    // ChatML: <|im_start|>user\n…<|im_end|>\n<|im_start|>assistant\n{prefix}
    const raw = typeof body.prompt === 'object' ? body.prompt.prompt_string : (body.prompt ?? '');
    const match = /<\|im_start\|>user\n([\s\S]*?)<\|im_end\|>[\s\S]*<\|im_start\|>assistant\n([\s\S]*)$/.exec(raw);
    return match ? { prompt: match[1]!, prefix: match[2]! } : 'prompt is not a ChatML conversation ending in an assistant turn';
  }
  const messages = body.messages ?? [];
  const opening = messages.filter((m) => m.role === 'system').map((m) => BEGIN_WITH.exec(textOf(m.content))?.[1]).find(Boolean);
  if (opening && messages.at(-1)?.role === 'user') return { prompt: textOf([...messages].reverse().find((m) => m.role === 'user')!.content), prefix: '', opening };
  const last = messages.at(-1);
  const user = [...messages].reverse().find((m) => m.role === 'user');
  if (!user) return 'messages need a user turn';
  if (last?.role === 'assistant') {
    if (!body.continue_final_message || body.add_generation_prompt !== false) {
      return 'a final assistant message needs continue_final_message: true and add_generation_prompt: false';
    }
    return { prompt: textOf(user.content), prefix: textOf(last.content) };
  }
  return { prompt: textOf(user.content), prefix: '' };
}

interface Choice {
  text: string;
  tokens: string[];
  finish: 'stop' | 'length';
  stopReason: string | null;
}

/**
 * `draw`: which sample a lone sampled choice is. A real server samples afresh on every
 * request; this one draws the next of its deterministic samples (or the seed's, when given),
 * so n concurrent requests get different candidates as they would from a real model.
 */
function choices(prompt: string, prefix: string, body: Body, draw: number, answerTokens?: number, opening?: string): Choice[] {
  const n = body.n ?? 1;
  const stops = body.stop === undefined ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
  const maxTokens = body.max_tokens ?? 1024;
  return Array.from({ length: n }, (_, index) => {
    const sample = body.seed !== undefined ? body.seed + index : n > 1 ? index : draw;
    const completion = complete(prompt, opening ?? prefix, { temperature: body.temperature ?? 1, topK: body.top_k ?? 50, index: sample, ...(answerTokens ? { answerTokens } : {}) });
    const tokens = opening ? [...tokenize(opening), ...completion.tokens] : completion.tokens;
    const { endsWithEos } = completion;
    const out: string[] = [];
    let text = '';
    for (const token of tokens) {
      if (out.length >= maxTokens) return { text, tokens: out, finish: 'length', stopReason: null };
      const candidate = text + token;
      const hit = stops.map((s) => ({ s, at: candidate.indexOf(s) })).filter((h) => h.at >= 0).sort((a, b) => a.at - b.at)[0];
      if (hit) {
        const kept = candidate.slice(0, hit.at + (body.include_stop_str_in_output ? hit.s.length : 0));
        out.push(kept.slice(text.length));
        return { text: kept, tokens: out, finish: 'stop', stopReason: hit.s };
      }
      out.push(token);
      text = candidate;
    }
    return { text, tokens: out, finish: endsWithEos ? 'stop' : 'length', stopReason: null };
  });
}

export interface TestServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Paces the stream (and lets a guard stop it mid-way). */
  tokenDelayMs?: number;
  /**
   * A model of a real one's speed and length (the bench): answers of about `answerTokens`
   * tokens at `tokensPerSecond`, streamed or not (n choices in parallel, as servers batch them).
   */
  realistic?: { tokensPerSecond: number; answerTokens: number };
}

export async function startTestServer(port = 0, { tokenDelayMs: delay = 2, realistic }: TestServerOptions = {}): Promise<TestServer> {
  const tokenDelayMs = realistic ? 1000 / realistic.tokensPerSecond : delay;
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  /** Sampled requests of one choice so far (see choices()). */
  let draws = 0;

  const cors = (res: ServerResponse) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  };
  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
  const readBody = async (req: IncomingMessage) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    return Buffer.concat(parts).toString('utf8');
  };

  const server = createServer((req, res) => {
    void (async () => {
      cors(res);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      if (path === '/__control' && req.method === 'POST') {
        faults.splice(0, faults.length, ...(JSON.parse(await readBody(req)).script as Fault[]));
        requests.splice(0);
        draws = 0;
        return json(res, 200, { ok: true });
      }
      if (path === '/__requests') return json(res, 200, requests);
      if (path === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: 'scripted-vlm', object: 'model' }] });
      if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/completions')) {
        return json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      }
      let body: Body;
      try {
        body = JSON.parse(await readBody(req)) as Body;
      } catch {
        return json(res, 400, { error: { message: 'body is not JSON' } });
      }
      const hadImage = (typeof body.prompt === 'object' && (body.prompt.multimodal_data?.length ?? 0) > 0) || (body.messages ?? []).some((m) => typeof m.content !== 'string' && m.content.some((p) => p.type === 'image_url' && p.image_url?.url.startsWith('data:image/')));
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      // Only a hash of the key is kept: tests can check which key arrived without the server storing it.
      const keySha256 = bearer ? createHash('sha256').update(bearer).digest('hex') : null;
      const record: RecordedRequest = { path, body, authorized: bearer === 'test-key', keySha256, hadImage };
      requests.push(record);

      const fault = faults.shift() ?? 'ok';
      if (fault === '500') return json(res, 500, { error: { message: 'scripted internal error' } });
      if (fault === '429') return json(res, 429, { error: { message: 'scripted rate limit' } }, { 'retry-after': '0' });
      const convo = conversation(path, body);
      if (typeof convo === 'string') return json(res, 400, { error: { message: convo } });
      const made = choices(convo.prompt, convo.prefix, body, (body.n ?? 1) === 1 && (body.temperature ?? 1) > 0 ? draws++ : 0, realistic?.answerTokens, convo.opening);
      const chat = path === '/v1/chat/completions';
      const base = { id: 'cmpl-test', created: 0, model: body.model ?? 'scripted-vlm' };
      const usage = { prompt_tokens: tokenize(convo.prompt).length, completion_tokens: made.reduce((a, c) => a + c.tokens.length, 0) };
      const usageTotal = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };

      if (!body.stream) {
        if (realistic) await new Promise((r) => setTimeout(r, tokenDelayMs * Math.max(0, ...made.map((c) => c.tokens.length))));
        return json(res, 200, {
          ...base,
          object: chat ? 'chat.completion' : 'text_completion',
          choices: made.map((c, index) => ({
            index,
            ...(chat ? { message: { role: 'assistant', content: c.text } } : { text: c.text }),
            finish_reason: c.finish,
            stop_reason: c.stopReason,
          })),
          usage: usageTotal,
        });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const send = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
      const object = chat ? 'chat.completion.chunk' : 'text_completion';
      const delta = (index: number, content: string) => (chat ? { index, delta: { content }, finish_reason: null } : { index, text: content, finish_reason: null });
      let sent = 0;
      // The n choices are generated together, as vLLM does: a token of each per step, interleaved by index.
      const steps = Math.max(0, ...made.map((c) => c.tokens.length));
      for (let step = 0; step <= steps; step++) {
        for (const [index, c] of made.entries()) {
          if (step === c.tokens.length) send({ ...base, object, choices: [{ ...(chat ? { index, delta: {} } : { index, text: '' }), finish_reason: c.finish, stop_reason: c.stopReason }] });
          const token = c.tokens[step];
          if (token === undefined) continue;
          if (fault === 'malformed' && sent === 2) {
            res.write('data: {"choices": [\n\n');
            return void res.end();
          }
          if (fault === 'drop' && sent === 2) return void res.socket?.destroy();
          if (fault === 'stall' && sent === 2) return; // headers and two chunks, then silence
          send({ ...base, object, choices: [delta(index, token)] });
          sent++;
        }
        if (res.destroyed) return void (record.closedEarly = true); // the client ended the request: generate no more
        if (step < steps) await new Promise((r) => setTimeout(r, tokenDelayMs));
      }
      if (body.stream_options?.include_usage) send({ ...base, object, choices: [], usage: usageTotal });
      res.write('data: [DONE]\n\n');
      res.end();
    })().catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(error) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `tsx e2e/openai-test-server/server.ts [port]` runs it standalone (Playwright's webServer does).
if (import.meta.url === `file://${process.argv[1]}`) {
  const started = await startTestServer(Number(process.argv[2] ?? 8787));
  console.log(`openai test server on ${started.url}`);
}
