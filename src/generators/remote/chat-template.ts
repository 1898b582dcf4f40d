// Renders a conversation ending in a partial assistant turn for raw /v1/completions
// (servers without continue_final_message), with the model's Jinja chat template.
import { Template } from '@huggingface/jinja';

/** ChatML (Qwen2-VL, SmolVLM-style servers); replace with the served model's own template. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function renderContinuationPrompt(
  template: string,
  turns: { system?: string; user: string; imageMarker?: string },
  assistantPrefix: string,
): string {
  const messages = [
    ...(turns.system ? [{ role: 'system', content: turns.system }] : []),
    { role: 'user', content: turns.imageMarker ? `${turns.imageMarker}\n${turns.user}` : turns.user },
  ];
  const rendered = new Template(template).render({ messages, add_generation_prompt: true, bos_token: '', eos_token: '' });
  return rendered + assistantPrefix;
}
