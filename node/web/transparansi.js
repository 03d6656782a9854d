import { setup } from './common.js'; setup();
