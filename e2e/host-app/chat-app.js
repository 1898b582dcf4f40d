// The app's own code: an OpenAI-compatible chat call with an image, streaming or not.
window.ask = async (endpoint, prompt, imageUrl, stream) => {
  const response = await fetch(`${endpoint}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
    body: JSON.stringify({
      model: 'scripted-vlm',
      temperature: 0,
      stream,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: imageUrl } }, { type: 'text', text: prompt }] }],
    }),
  });
  if (!stream) return (await response.json()).choices[0].message.content;
  let text = '';
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const events = buffer.split('\n\n');
    buffer = events.pop();
    for (const event of events) {
      const data = event.replace(/^data: /, '');
      if (data !== '[DONE]') text += JSON.parse(data).choices[0]?.delta?.content ?? '';
    }
  }
  return text;
};
