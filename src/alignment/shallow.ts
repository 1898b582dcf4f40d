// Shallow alignment: regenerate with the safety prefix right after the assistant
// turn starts (or after the part of the answer already shown); the prefix stays in the answer.
import type { ChatInput, Completion, GenerateOptions, Generator } from '../generators/types.ts';
import type { ShallowConfig } from './config.ts';

export async function alignShallow(
  generator: Generator,
  input: ChatInput,
  config: ShallowConfig,
  options: GenerateOptions & { opening?: string } = {},
): Promise<{ text: string; completion: Completion }> {
  const { opening = '', ...generate } = options;
  options.onToken?.(config.prefix);
  // An answer already partly shown (`opening`) is continued: the prefix follows what the app has.
  const completion = await generator.generate(
    { ...input, assistantPrefix: opening + config.prefix, sampling: { maxTokens: config.maxTokens, temperature: config.temperature } },
    generate,
  );
  return { text: config.prefix + completion.text, completion };
}
