// Export of what the heatmap shows (one pane, or both side by side) as a PNG download.

export function composeSideBySide(canvases: readonly HTMLCanvasElement[], gap = 8): HTMLCanvasElement {
  const out = document.createElement("canvas");
  out.width = canvases.reduce((w, c) => w + c.width, 0) + gap * Math.max(0, canvases.length - 1);
  out.height = Math.max(...canvases.map((c) => c.height));
  const ctx = out.getContext("2d");
  let x = 0;
  for (const c of canvases) {
    ctx?.drawImage(c, x, 0);
    x += c.width + gap;
  }
  return out;
}

/** A file name made only of safe characters. */
export function pngFileName(parts: readonly string[]): string {
  const stem = parts.map((p) => p.replace(/[^A-Za-z0-9._-]+/g, "_")).filter(Boolean).join("-").slice(0, 120);
  return `${stem || "camlab-heatmap"}.png`;
}

export function downloadCanvas(canvas: HTMLCanvasElement, fileName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) {
        reject(new Error("the browser could not encode the canvas as PNG"));
        return;
      }
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = fileName;
      a.style.display = "none";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      resolve(blob.size);
    }, "image/png");
  });
}
