// A static page's code, right after the one tag: it awaits window.VLMGuard.ready at once.
window.consumerResult = window.VLMGuard.ready.then(window.runConsumerCheck).catch(window.describeFailure);
