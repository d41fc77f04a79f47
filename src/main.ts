import { runService } from './service.js';

void runService();
