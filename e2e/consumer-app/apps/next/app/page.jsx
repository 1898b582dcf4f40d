'use client';
// The bare import at the top of a client component (Next also renders it on the server, where
// importing vlm-guard must be harmless) and createGuard() with no options in an effect.
import { useEffect } from 'react';
import { createGuard } from 'vlm-guard';

export default function Page() {
  useEffect(() => {
    // StrictMode runs effects twice in development: the check runs once.
    window.consumerResult ??= createGuard().then(window.runConsumerCheck).catch(window.describeFailure);
  }, []);
  return <p>vlm-guard in a Next.js client component</p>;
}
