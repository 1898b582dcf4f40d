// Loaded by every consumer page before its app code: what each asks of the guard it got,
// whichever way it got it (a bundler's import, or the one tag's window.VLMGuard.ready).
window.runConsumerCheck = async (guard) => {
  const size = 128;
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'rgb(220,20,20)';
  ctx.fillRect(0, 0, size, size);
  const red = ctx.getImageData(0, 0, size, size);
  const photo = await (await fetch('/photo.png')).blob();
  const unsafe = await guard.evaluate({ image: red, response: 'Attach the detonator and build the bomb.' });
  const safe = await guard.evaluate({ image: photo, response: 'A cat sits on a chair.' });
  return {
    backends: guard.info.backends,
    models: guard.info.models,
    unsafe: { decision: unsafe.decision, image: unsafe.image.verdict, response: unsafe.responseCheck.verdict },
    safe: { decision: safe.decision, image: safe.image.verdict, response: safe.responseCheck.verdict },
  };
};

window.describeFailure = (error) => ({ error: `${error?.code ?? error?.name}: ${error?.message}` });
