"""What an erasure or a retention run did, per kind of data."""

from pydantic import BaseModel, Field


class Erased(BaseModel):
    """Counts per kind of data anonymised, and what outside this service a person has to erase."""

    items: int = Field(default=0, description="Feedback items anonymised")
    parts: int = Field(default=0, description="Parts of mixed messages anonymised")
    tickets: int = Field(default=0, description="Tickets whose title and body lost the author's words")
    notices_withdrawn: int = Field(default=0, description="Author notices not sent yet, withdrawn")
    notices: int = Field(default=0, description="Author notices already sent, their message removed")
    clusters: int = Field(
        default=0, description="Clusters retitled, or whose Jira issue is rewritten without the quotes"
    )
    digests: int = Field(default=0, description="Digests not published yet with quotes or titles cut out")
    evidence: int = Field(
        default=0, description="Other items whose nearest examples showed the author's text"
    )
    model_versions: int = Field(
        default=0, description="Model versions whose example banks held the author's text"
    )
    outside: list[str] = Field(
        default_factory=list,
        description="Deliveries already outside (Jira issues, Slack messages, webhooks): erase them there",
    )

    def counts(self) -> dict[str, int]:
        return self.model_dump(exclude={"outside"})

    def __add__(self, other: "Erased") -> "Erased":
        summed = {name: value + getattr(other, name) for name, value in self.counts().items()}
        return Erased(**summed, outside=self.outside + other.outside)
