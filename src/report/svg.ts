/**
 * Vega-Lite specifications to SVG, in Node: vega-lite compiles, vega's headless view renders to an SVG string.
 * Both are loaded here only, when an HTML report is written. The data is inline: the loader is never asked for
 * anything, and a chart that would need the network fails instead of fetching.
 */
export async function renderSvg(specs: Array<Record<string, unknown>>): Promise<string[]> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const offline = {
    load: async (uri: string) => {
      throw new Error(`the report renders offline: ${uri} was not loaded`);
    },
    sanitize: async (uri: string) => {
      throw new Error(`the report renders offline: ${uri} was not loaded`);
    },
  };
  const out: string[] = [];
  for (const spec of specs) {
    const compiled = vegaLite.compile(spec as never).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offline as never });
    try {
      out.push(await view.toSVG());
    } finally {
      view.finalize();
    }
  }
  return out;
}
