import { Migration20261125170714 } from './Migration20261125170714.js';
import { Migration20261125171655 } from './Migration20261125171655.js';
import { Migration20261125173248 } from './Migration20261125173248.js';
import { Migration20261203173545 } from './Migration20261203173545.js';
import { Migration20261203173614 } from './Migration20261203173614.js';
import { Migration20261203173738 } from './Migration20261203173738.js';
import { Migration20261203173745 } from './Migration20261203173745.js';
import { Migration20261203174635 } from './Migration20261203174635.js';
import { Migration20261203174735 } from './Migration20261203174735.js';
import { Migration20261203175824 } from './Migration20261203175824.js';
import { Migration20261203180859 } from './Migration20261203180859.js';
import { Migration20261203182000 } from './Migration20261203182000.js';
import { Migration20261203200000 } from './Migration20261203200000.js';
import { Migration20261203201500 } from './Migration20261203201500.js';
import { Migration20261204142757 } from './Migration20261204142757.js';
import { Migration20261204180000 } from './Migration20261204180000.js';

/** Committed migrations, in order. `npm run migration:create` writes new files; list them here. */
export const migrationsList = [
  { name: 'Migration20261125170714', class: Migration20261125170714 },
  { name: 'Migration20261125171655', class: Migration20261125171655 },
  { name: 'Migration20261125173248', class: Migration20261125173248 },
  { name: 'Migration20261203173545', class: Migration20261203173545 },
  { name: 'Migration20261203173614', class: Migration20261203173614 },
  { name: 'Migration20261203173738', class: Migration20261203173738 },
  { name: 'Migration20261203173745', class: Migration20261203173745 },
  { name: 'Migration20261203174635', class: Migration20261203174635 },
  { name: 'Migration20261203174735', class: Migration20261203174735 },
  { name: 'Migration20261203175824', class: Migration20261203175824 },
  { name: 'Migration20261203180859', class: Migration20261203180859 },
  { name: 'Migration20261203182000', class: Migration20261203182000 },
  { name: 'Migration20261203200000', class: Migration20261203200000 },
  { name: 'Migration20261203201500', class: Migration20261203201500 },
  { name: 'Migration20261204142757', class: Migration20261204142757 },
  { name: 'Migration20261204180000', class: Migration20261204180000 },
];
