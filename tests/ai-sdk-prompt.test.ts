// What the AI SDK middleware reads from a call (images, the last user turn, the system
// prompt) and what it judges of an answer (text and tool calls) — LanguageModelV3 shapes.
import type { LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { withAssistantPrefix, withSystemNote } from '../src/ai-sdk/prompt.ts';
import { contentFields, promptView } from '../src/answers/ai-sdk-content.ts';
import { judgedText } from '../src/answers/answer-view.ts';

const judged = (content: Parameters<typeof contentFields>[0]) => judgedText(contentFields(content));

const png = new Uint8Array([137, 80, 78, 71]);
const prompt: LanguageModelV3Prompt = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: png }, { type: 'text', text: 'first question' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'an answer' }] },
  {
    role: 'user',
    content: [
      { type: 'file', mediaType: 'image/jpeg', data: 'AAEC' },
      { type: 'file', mediaType: 'image/webp', data: new URL('https://example.test/cat.webp') },
      { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=' },
      { type: 'text', text: 'What is in the' },
      { type: 'text', text: 'pictures?' },
    ],
  },
];

describe('AI SDK prompt view', () => {
  it('takes every image of every turn (bytes as a Blob, base64 as a data URL, a URL as its address), not other files', async () => {
    const view = promptView(prompt);
    expect(view.images).toHaveLength(3);
    const [bytes, base64, url] = view.images;
    expect(bytes).toBeInstanceOf(Blob);
    expect((bytes as Blob).type).toBe('image/png');
    expect(new Uint8Array(await (bytes as Blob).arrayBuffer())).toEqual(png);
    expect(base64).toBe('data:image/jpeg;base64,AAEC');
    expect(url).toBe('https://example.test/cat.webp');
  });

  it('reads the last user turn as the prompt and the system messages as the system prompt', () => {
    expect(promptView(prompt)).toMatchObject({ prompt: 'What is in the\npictures?', system: 'Be brief.' });
    expect(promptView([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }])).toEqual({ images: [], prompt: 'hi' });
  });

  it('judges the reasoning, the text and every tool call of an answer', () => {
    expect(
      judged([
        { type: 'text', text: 'Here you go.' },
        { type: 'reasoning', text: 'hidden' },
        { type: 'tool-call', toolCallId: '1', toolName: 'search', input: '{"q":"bomb"}' },
      ]),
    ).toBe('hidden\nHere you go.\nsearch({"q":"bomb"})');
    expect(judged([{ type: 'tool-call', toolCallId: '1', toolName: 'send', input: '{}' }])).toBe('send({})');
  });

  it('continues with an assistant turn last, or regenerates under a system note first; the app\'s call is otherwise kept', () => {
    const call: LanguageModelV3CallOptions = { prompt, temperature: 0.2, providerOptions: { scripted: { user: 'x' } } };
    const continued = withAssistantPrefix(call, 'As an AI assistant');
    expect(continued.prompt.slice(0, -1)).toEqual(prompt);
    expect(continued.prompt.at(-1)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'As an AI assistant' }] });
    expect(continued.temperature).toBe(0.2);
    const noted = withSystemNote(call, 'Be safe.');
    expect(noted.prompt[0]).toEqual({ role: 'system', content: 'Be safe.' });
    expect(noted.prompt.slice(1)).toEqual(prompt);
    expect(call.prompt).toBe(prompt);
  });
});
