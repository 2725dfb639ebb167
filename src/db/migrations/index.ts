import { Migration20261125170714 } from './Migration20261125170714.js';

/** Committed migrations, in order. `npm run migration:create` writes new files; list them here. */
export const migrationsList = [{ name: 'Migration20261125170714', class: Migration20261125170714 }];
