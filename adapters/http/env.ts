// The variables the middleware chain sets on each request, shared by every route.
import type { Principal } from '../../commands/authorizer.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
