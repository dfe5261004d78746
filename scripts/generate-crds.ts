// Writes crds/*.yaml from src/api/crds.ts. `npm run crds`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allCrdFiles } from "../src/api/crd-yaml.ts";

// crds/ for kubectl users; the chart carries a copy because Helm reads only files inside the chart.
for (const dir of ["crds", "charts/sealbridge/files/crds"]) {
  const path = new URL(`../${dir}/`, import.meta.url).pathname;
  mkdirSync(path, { recursive: true });
  for (const file of allCrdFiles()) {
    writeFileSync(join(path, file.fileName), file.content);
    process.stdout.write(`wrote ${dir}/${file.fileName}\n`);
  }
}
