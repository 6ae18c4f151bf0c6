import { MemoryStore } from '../../gateway/store/memory.ts';
import { storeContract } from './contract.ts';

storeContract('memory', async () => ({ store: new MemoryStore(), dispose: async () => {} }));
