// A Next.js App Router app using vlm-guard, as `create-next-app` makes one (JavaScript, no config).
import Script from 'next/script';

export const metadata = { title: 'A Next.js app using vlm-guard' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        {children}
        <Script src="/check.js" strategy="beforeInteractive" />
      </body>
    </html>
  );
}
