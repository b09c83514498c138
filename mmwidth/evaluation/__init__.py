from .attribute_accuracy import AttributeAccuracy, attribute_accuracies, majority_vote_accuracy

__all__ = ['AttributeAccuracy', 'attribute_accuracies', 'majority_vote_accuracy']
