// How a response is put before the reward model (docs/method.md, ETA): a fixed instruction
// as the user turn, the response as the assistant turn, the image and question dropped.
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { RewardFraming, RewardLoadReport } from '../src/runtime/contracts.ts';

export type ResolvedFraming = RewardLoadReport['framing'];

/** How a text is scored as a user's request (the text read from an image): the user turn alone. */
export type ScoringFraming = ResolvedFraming | 'request';

/** `auto`: the tokenizer's chat template when it has one, else the (instruction, response) pair. */
export function resolveFraming(tokenizer: PreTrainedTokenizer, requested: RewardFraming): ResolvedFraming {
  if (requested !== 'auto') return requested;
  return tokenizer.chat_template ? 'chat-template' : 'pair';
}

export function encodeForReward(
  tokenizer: PreTrainedTokenizer,
  { framing, instruction, maxTokens }: { framing: ScoringFraming; instruction: string; maxTokens: number },
  responses: string[],
) {
  const common = { padding: true, truncation: true, max_length: maxTokens } as const;
  switch (framing) {
    case 'chat-template': {
      const rendered = responses.map(
        (response) =>
          tokenizer.apply_chat_template(
            [
              { role: 'user', content: instruction },
              { role: 'assistant', content: response },
            ],
            { tokenize: false },
          ) as string,
      );
      // The rendered template already holds the special tokens.
      return tokenizer(rendered, { ...common, add_special_tokens: false });
    }
    case 'pair':
      return tokenizer(
        responses.map(() => instruction),
        { ...common, text_pair: responses },
      );
    case 'response-only':
      return tokenizer(responses, common);
    case 'request':
      if (!tokenizer.chat_template) return tokenizer(responses, common);
      return tokenizer(
        responses.map((text) => tokenizer.apply_chat_template([{ role: 'user', content: text }], { tokenize: false }) as string),
        { ...common, add_special_tokens: false },
      );
  }
}
