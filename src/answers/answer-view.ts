// One view of an answer: every field the app will show — reasoning, text, refusals and
// tool calls — gathered by the readers of each wire format (OpenAI chat, AI SDK) and
// joined here, once, into the text the guard judges. A field a reader does not gather
// is a field an attacker can use, so the readers collect, and this module decides.

/** What an answer holds that a reader of it sees, in the order the app receives it. */
export interface AnswerFields {
  /** Reasoning shown beside the answer (reasoning_content, reasoning, AI SDK reasoning parts). */
  reasoning: string[];
  /** The answer's text (a string, or each text part). */
  text: string[];
  /** A refusal field or part (OpenAI `refusal`). */
  refusal: string[];
  /** Tool calls (and provider-run tool results) the app receives: a name and its arguments. */
  toolCalls: { name: string; arguments: string }[];
}

export const emptyAnswer = (): AnswerFields => ({ reasoning: [], text: [], refusal: [], toolCalls: [] });

/** The text the guard judges: every field, each tool call as `name(arguments)`, one per line. */
export function judgedText(answer: AnswerFields): string {
  const calls = answer.toolCalls.map((c) => `${c.name}(${c.arguments})`);
  return [answer.reasoning.join(''), answer.text.join(''), answer.refusal.join(''), ...calls].filter((part) => part !== '').join('\n');
}
