import { z } from 'zod';
import { port } from '../config';

export const apiSchema = z.object({
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
});
export type ApiConfig = z.output<typeof apiSchema>;
