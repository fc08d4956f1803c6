// A dial-plan route as PutRoute gives it, checked (pure); that its trunk exists is the app's check.
import { validateNumberPattern, type RouteView } from '@callctl/provisioning';
import { type provisioning } from '@callctl/proto';
import { checkName, checkRange, invalid, withField } from './fields.js';

export function routeDraftOf(route: provisioning.Route | undefined): Omit<RouteView, 'updatedAtMs'> {
  if (!route) throw invalid('route', 'required');
  const name = checkName('route.name', route.name);
  if (!route.pattern) throw invalid('route.pattern', 'required');
  withField('route.pattern', () => validateNumberPattern(route.pattern));
  return {
    name,
    pattern: route.pattern,
    trunk: checkName('route.trunk', route.trunk),
    priority: checkRange('route.priority', route.priority, 0, 65535),
  };
}
