import pg from 'pg';
import v8 from 'node:v8';
const f = (x) => (x / 1048576).toFixed(1);
const snap = () => { const m = process.memoryUsage(); const c = v8.getHeapCodeStatistics(); return { rss: m.rss, heap: m.heapUsed, ext: m.external, ab: m.arrayBuffers, code: c.code_and_metadata_size }; };
const { PrismaPg } = await import('@prisma/adapter-pg');
const { PrismaClient } = await import('/work/wt-12/dist/generated/prisma/client.js');
const pool = new pg.Pool({ connectionString: 'postgresql://root@127.0.0.1:5432/test' });
const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
await pool.query('select 1');
global.gc?.();
const a = snap();
try { await prisma.$queryRawUnsafe('select 1'); } catch (e) { console.log(e.message.slice(0, 80)); }
global.gc?.();
const b = snap();
for (const k of Object.keys(a)) process.stdout.write(`${k} +${f(b[k] - a[k])}  `);
console.log(' rss', f(b.rss));
await prisma.$disconnect(); await pool.end();
