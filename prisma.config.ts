import { defineConfig } from 'prisma/config';

// The CLI reads the database URL from here; the service itself connects through the
// node-postgres adapter and applies migrations with its own migrator (src/database).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
