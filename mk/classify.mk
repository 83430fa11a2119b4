# mk/classify.mk - the classifier's confusion matrix, kept in docs/.
# Included by the top-level Makefile.
#
#   make confusion-matrix   rebuild tests/tools/confusion (ASan build) and
#                           write docs/confusion-matrix.txt with the seeds
#                           tests/t_classifier_accuracy.sh checks it against
.PHONY: confusion-matrix
confusion-matrix: build/asan/tools/confusion
	build/asan/tools/confusion --seeds 6 --seed-base 20251 --out docs/confusion-matrix.txt >/dev/null
	@echo "wrote docs/confusion-matrix.txt"
