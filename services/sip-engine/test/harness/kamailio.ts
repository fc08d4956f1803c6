// The Kamailio launcher moved to @callctl/testing (kamailio.ts), where the trunk and registrar tests' peers
// use it too; the proxy and the benchmark relay keep importing it from here.
export { startKamailio, type KamailioProcess, type KamailioSite } from '@callctl/testing';
