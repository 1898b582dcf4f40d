// The "Models" picker: the manifest's tiers, the ones not fetched yet shown disabled with
// the command that fetches them. Every section of the page uses the tier picked here.
import { DEFAULTS, loadManifest } from '../index.ts';

const select = document.getElementById('tier') as HTMLSelectElement;

/** The picked tier, or undefined for the manifest's defaults. */
export function selectedTier(): string | undefined {
  return select.value || undefined;
}

void (async () => {
  try {
    const manifest = await loadManifest(new URL(DEFAULTS.runtime.modelBase, document.baseURI).href);
    for (const [name, tier] of Object.entries(manifest.tiers)) {
      const missing = Object.values(tier.models).filter((id) => id !== undefined && !manifest.models[id]);
      const option = new Option(missing.length ? `${name} — not installed (npm run models:fetch -- --tier ${name})` : `${name} — ${tier.description}`, name);
      option.disabled = missing.length > 0;
      select.append(option);
    }
  } catch (error) {
    select.title = `Could not read the manifest: ${error instanceof Error ? error.message : String(error)}`;
  }
})();
