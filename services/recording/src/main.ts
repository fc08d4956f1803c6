// The recording service (issue 13) is being built; its composition root comes with its gRPC adapters.
export {};
