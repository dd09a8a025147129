.PHONY: run test bootstrap
run:
	./scripts/run.sh

test:
	./scripts/test.sh

bootstrap:
	./scripts/bootstrap.sh
