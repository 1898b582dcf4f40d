'use client';
// The bare import at the top of a client component (Next also renders it on the server, where
// importing vlm-guard must be harmless) and createGuard() with no options in an effect, as React
// asks effects to be written: the cleanup cancels the load or disposes the guard. In development
// React StrictMode runs it twice (mount, unmount, mount); the guard's models load once.
import { useEffect } from 'react';
import { createGuard } from 'vlm-guard';

export default function Page() {
  useEffect(() => {
    window.mounts = (window.mounts ?? 0) + 1;
    const controller = new AbortController();
    const loading = createGuard({ signal: controller.signal });
    window.consumerResult = loading.then(window.runConsumerCheck).catch(window.describeFailure);
    return () => {
      controller.abort();
      loading.then((guard) => guard.dispose(), () => undefined);
    };
  }, []);
  return <p>vlm-guard in a Next.js client component</p>;
}
