// Shallow alignment: regenerate with the safety prefix right after the assistant
// turn starts; the prefix stays in the answer.
import type { ChatInput, Completion, GenerateOptions, Generator } from '../generators/types.ts';
import type { ShallowConfig } from './config.ts';

export async function alignShallow(
  generator: Generator,
  input: ChatInput,
  config: ShallowConfig,
  options: GenerateOptions = {},
): Promise<{ text: string; completion: Completion }> {
  options.onToken?.(config.prefix);
  const completion = await generator.generate(
    { ...input, assistantPrefix: config.prefix, sampling: { maxTokens: config.maxTokens, temperature: config.temperature } },
    options,
  );
  return { text: config.prefix + completion.text, completion };
}
