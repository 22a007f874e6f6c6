"""Clusters of similar product reports: one ticket per problem, with how many people hit it."""
