export * from './model.js';
export * from './kv-layout.js';
export * from './dial-plan.js';
export * from './secret-box.js';
export * from './kv-view.js';
