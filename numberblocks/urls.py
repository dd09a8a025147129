app_name = "numberblocks"

urlpatterns = []
