import type { Request, Response } from 'express';
import type { ServiceDefinition } from '../hooks/services.js';

/** GET /cds-services: the services whose rules are loaded, and nothing that is not offered. */
export function discoveryHandler(services: () => readonly ServiceDefinition[]) {
  return (_req: Request, res: Response): void => {
    res.json({
      services: services().map((s) => ({
        id: s.id,
        hook: s.hook,
        title: s.title,
        description: s.description,
        prefetch: s.prefetch,
        usageRequirements: s.usageRequirements,
      })),
    });
  };
}
