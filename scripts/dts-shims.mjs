// Deno reads the bundled declarations literally: dist/index.d.ts says `from './index-HASH.js'` (the
// declaration chunk tsup shares between the `.` and `./node` entries), and Deno looks for that .js
// file, which does not exist, so `deno check` of any program importing robustlens fails. TypeScript
// maps the .js to index-HASH.d.ts by itself. For every declaration chunk without a module of its own,
// this writes a two-line module carrying `// @ts-self-types`, Deno's way of pointing a JS module at
// its declarations. Runs after tsup (`npm run build`, scripts/test.sh).
//   node scripts/dts-shims.mjs [dist]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2] ?? 'dist';
let written = 0;
for (const file of readdirSync(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/from\s+['"]\.\/([^'"]+)\.js['"]/g)) {
    const base = m[1];
    if (existsSync(join(dist, `${base}.js`))) continue;
    if (!existsSync(join(dist, `${base}.d.ts`))) {
      console.error(`dts-shims: ${file} imports ./${base}.js but neither ${base}.js nor ${base}.d.ts exists in ${dist}`);
      process.exit(1);
    }
    writeFileSync(join(dist, `${base}.js`), `// @ts-self-types="./${base}.d.ts"\nexport {};\n`);
    written++;
  }
}
console.log(`dts-shims: ${written} declaration-only module${written === 1 ? '' : 's'} given a Deno types pointer`);
