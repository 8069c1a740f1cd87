/** The bar chart of the ten class probabilities (plain elements: ten bars need no chart library). */
export const probabilityBars = (el: HTMLElement) => {
  const rows = Array.from({ length: 10 }, (_, d) => {
    const row = document.createElement("div");
    row.className = "prob";
    row.innerHTML = `<span class="digit">${d}</span><div class="track"><div class="fill"></div></div><span class="pct">–</span>`;
    el.append(row);
    return {
      row,
      fill: row.querySelector<HTMLElement>(".fill")!,
      pct: row.querySelector<HTMLElement>(".pct")!,
    };
  });
  return {
    show: (p: Float32Array | undefined) => {
      const best = p === undefined ? -1 : p.indexOf(Math.max(...p));
      rows.forEach(({ row, fill, pct }, d) => {
        const v = p?.[d] ?? 0;
        fill.style.width = `${(v * 100).toFixed(1)}%`;
        pct.textContent = p === undefined ? "–" : `${(v * 100).toFixed(1)}%`;
        row.classList.toggle("top", d === best);
      });
    },
  };
};
