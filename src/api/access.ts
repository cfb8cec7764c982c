import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Who may call a route, weakest first: anyone, or a key whose role reaches
 * the level. Each route declares its level in its options
 * (`config: { access }`); the hooks read it from the route the router
 * matched, never from the raw URL, which an encoded or absolute-form request
 * line can disguise.
 */
export const ACCESS_LEVELS = ['public', 'predict', 'train', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/** A key's role: `predict` serves and reads models, `train` also defines models and datasets and runs jobs, `admin` everything. */
export const ROLES = ['predict', 'train', 'admin'] as const satisfies readonly Access[];
export type Role = (typeof ROLES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** A route that forgot to declare its access gets the strictest, so a new route is never open by accident. */
export const UNDECLARED: Access = 'admin';

export function accessOf(config: { access?: Access } | undefined): Access {
  return config?.access ?? UNDECLARED;
}

/** The matched route's access; a request no route matched is answered 404 by the not-found handler, which shows nothing. */
export function requestAccess(request: FastifyRequest): Access {
  return request.is404 ? 'public' : accessOf(request.routeOptions.config);
}

export function allows(role: Role, access: Access): boolean {
  return ACCESS_LEVELS.indexOf(role) >= ACCESS_LEVELS.indexOf(access);
}

/** Routes that plugins register for us (static files, Swagger UI) cannot take options; this marks every route of one scope public. */
export function publicScope(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: route.config?.access ?? 'public' };
  });
}
